import { afterAll } from '@jest/globals';
import { describeStoreConformance } from '../conformance/store.conformance.js';
import { describePostgres, dropSchema, testSchemaName, truncateStore } from '../conformance/postgres-test.database.js';
import { PostgresStore } from './postgres.store.js';

describePostgres('PostgresStore', (url) => {
  const schema = testSchemaName();
  afterAll(() => dropSchema(url, schema));

  describeStoreConformance('PostgreSQL', async () => {
    const store = new PostgresStore({ url, schema, poolSize: 4 });
    await store.init();
    await truncateStore(url, schema);
    return store;
  });
});
