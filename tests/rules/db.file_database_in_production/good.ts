import express from "express";
import { Pool } from "pg";

const pool = new Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5000 });
const app = express();
app.get("/notes", async (_req, res) => res.json((await pool.query("SELECT * FROM notes LIMIT 20")).rows));
app.listen(3000);
