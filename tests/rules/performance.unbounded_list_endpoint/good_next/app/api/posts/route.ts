import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export async function GET(request: Request) {
  const cursor = new URL(request.url).searchParams.get("cursor");
  const posts = await prisma.post.findMany({ take: 20, orderBy: { createdAt: "desc" }, ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}) });
  return Response.json(posts);
}

export async function POST(request: Request) {
  const all = await prisma.post.findMany();
  return Response.json({ count: all.length });
}
