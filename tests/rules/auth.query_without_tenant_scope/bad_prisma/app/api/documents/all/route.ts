import { auth } from "@/lib/auth";
import { prisma } from "@/lib/prisma";

export async function GET() {
  const session = await auth();
  if (!session?.user) {
    return new Response("Unauthorized", { status: 401 });
  }
  const docs = await prisma.document.findMany(); // expect: auth.query_without_tenant_scope
  return Response.json(docs);
}
