-- chats and messages
create table public.chats ( -- # expect: auth.query_without_tenant_scope
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users not null,
  title text
);

CREATE TABLE IF NOT EXISTS messages ( -- # expect: auth.query_without_tenant_scope
  id bigserial primary key,
  chat_id uuid references public.chats(id),
  content text
);

create table profiles (
  id uuid primary key references auth.users,
  name text
);
alter table profiles enable row level security;
create policy "own profile" on profiles for all using (auth.uid() = id);
