import { prisma } from "@/lib/prisma";

export async function listReports() {
  return prisma.report.findMany({ orderBy: { title: "asc" } }); // expect: auth.query_without_tenant_scope
}

export async function listOrgReports(orgId: string) {
  return prisma.report.findMany({ where: { orgId } });
}
