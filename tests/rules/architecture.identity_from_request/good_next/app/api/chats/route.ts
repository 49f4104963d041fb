import { auth } from "@/app/auth";
import { prisma } from "@/lib/prisma";

export async function POST(req: Request) {
  const session = await auth();
  if (!session?.user) return new Response("Unauthorized", { status: 401 });
  const chats = await prisma.chat.findMany({ where: { userId: session.user.id } });
  return Response.json(chats);
}

export async function GET(req: Request) {
  const { searchParams } = new URL(req.url);
  const role = searchParams.get("role");
  return Response.json({ role });
}
