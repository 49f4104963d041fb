alter table public.chats enable row level security;
create policy "own chats" on public.chats for all using (auth.uid() = user_id);
