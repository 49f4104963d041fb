import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export async function GET() {
  const posts = await prisma.post.findMany({ take: 20 });
  const withAuthors = await Promise.all(
    posts.map(async (post) => {
      const author = await prisma.user.findUnique({ where: { id: post.authorId } }); // expect: performance.n_plus_one_query
      return { ...post, author };
    }),
  );
  return Response.json(withAuthors);
}

export async function POST(req: Request) {
  const { ids } = await req.json();
  const out = [];
  for (const id of ids) {
    out.push(await prisma.post.findFirst({ where: { id } })); // expect: performance.n_plus_one_query
  }
  return Response.json(out);
}
