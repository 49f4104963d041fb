import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export async function GET() {
  const posts = await prisma.post.findMany({ take: 20, include: { author: true } });
  return Response.json(posts.map((post) => ({ ...post, authorName: post.author.name })));
}

export async function POST(req: Request) {
  const { ids } = await req.json();
  const posts = await prisma.post.findMany({ where: { id: { in: ids } } });
  for (const post of posts) {
    console.log(post.id);
  }
  return Response.json(posts);
}
