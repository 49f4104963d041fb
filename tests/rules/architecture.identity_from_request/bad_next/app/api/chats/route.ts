import { prisma } from "@/lib/prisma";

export async function POST(req: Request) {
  const body = await req.json();
  const userId = body.userId;
  const chats = await prisma.chat.findMany({ where: { userId } }); // expect: architecture.identity_from_request
  return Response.json(chats);
}

export async function DELETE(req: Request) {
  const { searchParams } = new URL(req.url);
  const role = searchParams.get("role");
  if (role === "admin") { // expect: architecture.identity_from_request
    await prisma.chat.deleteMany({});
  }
  return new Response(null, { status: 204 });
}
