import express from "express";
import { Pool } from "pg";

export const pool = new Pool({ connectionString: process.env.DATABASE_URL }); // expect: db.no_timeouts

const app = express();
app.get("/health", async (_req, res) => res.json((await pool.query("SELECT 1")).rows));
app.listen(3000);
