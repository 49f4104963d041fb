create table chats (id serial primary key, user_id int not null, title text);
