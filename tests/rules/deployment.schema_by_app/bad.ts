import { Sequelize } from "sequelize";

const sequelize = new Sequelize(process.env.DATABASE_URL as string);
sequelize.sync({ force: true }); // expect: deployment.schema_by_app
