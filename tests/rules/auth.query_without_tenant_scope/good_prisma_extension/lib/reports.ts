import { prisma } from "@/lib/prisma";

export async function listReports() {
  return prisma.report.findMany({ orderBy: { title: "asc" } });
}

export async function listOrgReports(orgId: string) {
  return prisma.report.findMany({ where: { orgId } });
}
