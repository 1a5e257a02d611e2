// Identity of the local "account": every client of the local stack uses these, never the
// developer's AWS configuration.
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIALOCALSTACK000000', secretAccessKey: 'local-secret-access-key' } as const;
