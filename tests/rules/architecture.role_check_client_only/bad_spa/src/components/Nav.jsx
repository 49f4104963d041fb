export default function Nav({ user }) {
  return <nav>{user.isAdmin && <a href="/admin">Admin</a>}</nav>;
}
