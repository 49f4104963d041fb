import { useAuth } from "../auth";

export default function AdminPanel({ users, onDelete }) {
  const { user } = useAuth();
  if (user.role !== "admin") { // expect: architecture.role_check_client_only
    return <p>Not allowed</p>;
  }
  return (
    <ul>
      {users.map((u) => (
        <li key={u.id}>{u.email} <button onClick={() => onDelete(u.id)}>Delete</button></li>
      ))}
    </ul>
  );
}
