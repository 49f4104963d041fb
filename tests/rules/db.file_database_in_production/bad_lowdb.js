import express from "express";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";

const db = new Low(new JSONFile("db.json"), { posts: [] }); // expect: db.file_database_in_production
await db.read();

const app = express();
app.post("/posts", async (req, res) => {
  db.data.posts.push(req.body);
  await db.write();
  res.json({ ok: true });
});
app.listen(3000);
