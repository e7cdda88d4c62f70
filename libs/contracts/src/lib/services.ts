/** The services, their `service.name` in traces, and their default HTTP ports. */
export const SERVICES = {
  gateway: 8080,
  auth: 3001,
  cart: 3002,
  inventory: 3003,
  payment: 3004,
  'payment-provider': 3005,
} as const;

export type ServiceName = keyof typeof SERVICES;
