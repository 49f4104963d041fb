create table settings (id int primary key, open boolean);
alter table settings enable row level security;
create policy "owners update settings" on settings for update
  using (exists (select 1 from profiles p where p.id = auth.uid() and p.role = 'owner'));
