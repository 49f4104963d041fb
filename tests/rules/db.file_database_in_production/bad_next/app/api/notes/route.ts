import Database from "better-sqlite3";

const db = new Database("notes.db"); // expect: db.file_database_in_production

export async function GET() {
  return Response.json(db.prepare("SELECT * FROM notes LIMIT 50").all());
}
