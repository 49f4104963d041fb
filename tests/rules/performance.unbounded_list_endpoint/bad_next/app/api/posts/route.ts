import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export async function GET() {
  const posts = await prisma.post.findMany({ orderBy: { createdAt: "desc" } }); // expect: performance.unbounded_list_endpoint
  return Response.json(posts);
}
