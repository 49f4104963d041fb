import { auth } from "@/lib/auth";
import { prisma } from "@/lib/prisma";

export async function DELETE() {
  const session = await auth();
  if (!session?.user) {
    return new Response("Unauthorized", { status: 401 });
  }
  await prisma.document.deleteMany({ where: { status: "archived" } }); // expect: auth.query_without_tenant_scope
  return new Response(null, { status: 204 });
}
