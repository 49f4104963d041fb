// Route handlers returning error messages and stacks (synthetic fixture).
import express from "express";
import { NextResponse } from "next/server";

const app = express();

app.post("/api/chat", async (req, res) => {
  try {
    res.json({ ok: await work(req.body) });
  } catch (err: any) {
    res.status(500).json({ error: err.message }); // expect: errors.exception_text_in_response
  }
});

export async function POST(request: Request) {
  try {
    return NextResponse.json(await work(await request.json()));
  } catch (error: any) {
    return NextResponse.json({ error: error.message, stack: error.stack }, { status: 500 }); // expect: errors.exception_text_in_response
  }
}

async function work(x: unknown) {
  return x;
}
