import { PrismaClient } from "@prisma/client";
import { currentOrgId } from "./tenant";

// Every query of the client gets the caller's organisation (a Prisma client extension): silent.
export const prisma = new PrismaClient().$extends({
  query: {
    $allModels: {
      async $allOperations({ args, query }) {
        args.where = { ...args.where, orgId: currentOrgId() };
        return query(args);
      },
    },
  },
});
