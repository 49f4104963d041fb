export default function App() {
  return <h1>notes</h1>;
}
