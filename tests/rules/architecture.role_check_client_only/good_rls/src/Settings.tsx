import { supabase } from "./supabase";

export function Settings({ profile }: { profile: { role: string } }) {
  const canEdit = profile.role === "owner";
  return canEdit ? <button onClick={() => supabase.from("settings").update({ open: true })}>Open</button> : null;
}
