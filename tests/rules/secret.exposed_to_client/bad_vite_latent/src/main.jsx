// A Vite SPA whose helper below is not wired in yet (synthetic fixture).
import { createRoot } from "react-dom/client";
import App from "./App";

createRoot(document.getElementById("root")).render(<App />);
