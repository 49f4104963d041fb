// Errors logged, generic answers (synthetic fixture).
import express from "express";
import { NextResponse } from "next/server";

const app = express();

app.post("/api/chat", async (req, res) => {
  try {
    res.json({ ok: req.body });
  } catch (err: any) {
    console.error(err.message, err.stack);
    res.status(500).json({ error: "Internal error" });
  }
});

export async function POST(request: Request) {
  try {
    return NextResponse.json(await request.json());
  } catch (error) {
    console.error(error);
    return NextResponse.json({ error: "Something went wrong" }, { status: 500 });
  }
}
