export function canManage(user: { role: string }): boolean {
  return user.role === "owner" || user.role === "manager";
}
