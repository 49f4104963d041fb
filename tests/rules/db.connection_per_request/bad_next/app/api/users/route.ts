import { PrismaClient } from "@prisma/client";
import { Pool } from "pg";

export async function GET() {
  const prisma = new PrismaClient(); // expect: db.connection_per_request
  const pool = new Pool({ connectionString: process.env.DATABASE_URL }); // expect: db.connection_per_request
  const users = await prisma.user.findMany();
  const { rows } = await pool.query("SELECT 1");
  return Response.json({ users, rows });
}
