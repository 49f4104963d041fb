export async function auth(): Promise<{ user: { id: string; orgId: string } } | null> {
  return null;
}
