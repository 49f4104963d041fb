import { auth } from "@/app/auth";
import { prisma } from "@/lib/prisma";
import { deleteChatById } from "@/lib/queries";

export async function GET(request: Request, { params }: { params: { id: string } }) {
  const session = await auth();
  if (!session?.user) {
    return new Response("Unauthorized", { status: 401 });
  }
  const chat = await prisma.chat.findFirst({ where: { id: params.id, userId: session.user.id } });
  return Response.json(chat);
}

export async function DELETE(request: Request) {
  const { searchParams } = new URL(request.url);
  const id = searchParams.get("id");
  const session = await auth();
  if (!session?.user) {
    return new Response("Unauthorized", { status: 401 });
  }
  const chat = await prisma.chat.findUnique({ where: { id } });
  if (chat?.userId !== session.user.id) {
    return new Response("Forbidden", { status: 403 });
  }
  await deleteChatById({ id });
  return new Response(null, { status: 204 });
}
