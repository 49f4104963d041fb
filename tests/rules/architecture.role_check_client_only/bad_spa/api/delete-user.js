// a serverless function: deletes any user it is asked to, with no role check
import { db } from "./db.js";

export default async function handler(req, res) {
  await db.users.delete(req.body.id);
  res.status(200).json({ ok: true });
}
