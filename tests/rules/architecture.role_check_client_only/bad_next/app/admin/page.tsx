"use client";
import { useSession } from "next-auth/react";

export default function AdminPage() {
  const { data: session } = useSession();
  const isAdmin = session?.user?.role === "admin"; // expect: architecture.role_check_client_only
  if (!isAdmin) return null;
  return <form action="/api/users" method="post"><button>Promote</button></form>;
}
