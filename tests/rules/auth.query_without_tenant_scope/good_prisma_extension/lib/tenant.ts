export function currentOrgId(): string {
  return "";
}
