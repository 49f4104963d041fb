export function Message({ message }: { message: { role: string; content: string } }) {
  const mine = message.role === "user";
  return <div className={mine ? "right" : message.role === "assistant" ? "left" : "center"}>{message.content}</div>;
}
