create table public.chats (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users not null,
  title text
);
-- create table shown in a comment is not a table

create table private.audit_log (id bigserial primary key, what text);
