import swagger from '@fastify/swagger';
import AjvCompiler from '@fastify/ajv-compiler';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'kysely';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { registerAuthRoutes } from './platform/auth/auth.routes.js';
import { AuthService } from './platform/auth/auth.service.js';
import type { Db } from './platform/db.js';
import { registerAuthHook } from './platform/http/auth-hook.js';
import { sendProblem, toProblem } from './platform/http/problem.js';
import { createMetrics } from './platform/metrics.js';
import { registerWebApp } from './platform/http/web.js';
import {
  createReferential,
  registerReferentialRoutes,
  type ReferentialServices,
} from './modules/referential/index.js';
import {
  agentOf,
  createWorkflow,
  registerWorkflowRoutes,
  type WorkflowServices,
} from './modules/workflow/index.js';
import { createBilling, registerBillingRoutes, type BillingServices } from './modules/billing/index.js';
import {
  createRequests,
  fixedLineProfile,
  registerRequestRoutes,
  type RequestsModule,
} from './modules/requests/index.js';
import {
  createInventory,
  registerInventoryRoutes,
  type InventoryServices,
} from './modules/inventory/index.js';
import {
  createDirectory,
  registerDirectoryRoutes,
  type DirectoryServices,
} from './modules/directory/index.js';
import {
  createBillingCycle,
  lineLimitations,
  LIMITATION_BARRING,
  registerBillingCycleRoutes,
  type BillingCycleServices,
} from './modules/billing/cycle.index.js';
import {
  AUTOMATON_ACTOR,
  createActivation,
  registerActivationRoutes,
  type ActivationModule,
} from './modules/activation/index.js';
import {
  activationLineStatus,
  createAssistance,
  registerAssistanceRoutes,
  type AssistanceModule,
} from './modules/assistance/index.js';
import { isTmfUrl, registerTmfRoutes, sendTmfError } from './modules/tmf/index.js';

export interface AppDeps {
  db: Db;
  config: Pick<Config, 'currency' | 'logLevel'> &
    Partial<Pick<Config, 'secretKey' | 'smtpUrl' | 'mailFrom' | 'studyLanes'>>;
  logger?: boolean;
  /** The built single-page application (default web/dist); absent means API only. */
  webRoot?: string;
}

export interface App {
  http: FastifyInstance;
  auth: AuthService;
  referential: ReferentialServices;
  workflow: WorkflowServices;
  billing: BillingServices;
  /** The billing cycle: runs, payments, collection, delivery of bills (main.ts schedules collection). */
  billingCycle: BillingCycleServices;
  requests: RequestsModule;
  inventory: InventoryServices;
  /** The activation automaton: `activation.start()` runs it (main.ts), tests drive it. */
  activation: ActivationModule;
  /** Customer assistance: line consultation, faults, incidents, complaints, rebates, work orders. */
  assistance: AssistanceModule;
  /** Directories and enquiries (main.ts reads the search dictionary at start). */
  directory: DirectoryServices;
  /** Every route with its declared access, for the rights tests and the docs. */
  routes: RouteInfo[];
}

export interface RouteInfo {
  method: string;
  url: string;
  right?: string;
  public?: boolean;
  authenticated?: boolean;
}

/**
 * The request validator's options. Unknown fields are refused instead of silently dropped (a typo in
 * a field name is an error). Query strings, path parameters and headers are text: they are coerced
 * to the schema's types ("7" → 7, a lone value → an array). A JSON body is not (BODY_VALIDATOR_OPTIONS):
 * its values have their types already, and coercion turned a `null` or a `""` into `0` for a number
 * (an emptied throttle field meant "unlimited") or `""` for a string, where the sender now gets a
 * 400 naming the field. A nullable field is written with `Nullable` (src/platform/http/nullable.ts).
 */
export const VALIDATOR_OPTIONS = {
  removeAdditional: false,
  coerceTypes: 'array',
  useDefaults: true,
  allErrors: false,
} as const;
export const BODY_VALIDATOR_OPTIONS = { ...VALIDATOR_OPTIONS, coerceTypes: false } as const;

/** Fastify's own Ajv compiler, one instance per set of options: bodies without coercion (buildApp's `schemaController`). */
const validators = AjvCompiler();
type ValidatorArgs = Parameters<ReturnType<typeof AjvCompiler>>;
export const buildValidator = (externalSchemas: ValidatorArgs[0], options: ValidatorArgs[1]) => {
  const parts = validators(externalSchemas, {
    ...options,
    customOptions: VALIDATOR_OPTIONS,
  } as ValidatorArgs[1]);
  const bodies = validators(externalSchemas, {
    ...options,
    customOptions: BODY_VALIDATOR_OPTIONS,
  } as ValidatorArgs[1]);
  return (route: { httpPart?: string }) => (route.httpPart === 'body' ? bodies : parts)(route as never);
};

/** Builds the whole application without listening: main.ts listens, tests call `inject()`. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const http = Fastify({
    logger:
      deps.logger === false
        ? false
        : { level: deps.config.logLevel, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    ajv: { customOptions: VALIDATOR_OPTIONS },
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    bodyLimit: 5 * 1024 * 1024,
    // Malformed URLs and over-long path parameters are refused before routing: answer them as problems too.
    frameworkErrors: (err, request, reply) =>
      isTmfUrl(request.url) ? sendTmfError(err, request, reply) : sendProblem(reply, toProblem(err, request)),
    // One line per request is noise at 500 agents; errors and slow paths are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const metrics = createMetrics();
  const routes: RouteInfo[] = [];
  http.addHook('onRoute', (r) => {
    const config = (r.config ?? {}) as { right?: string; public?: boolean; authenticated?: boolean };
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: r.url, ...config });
    }
  });
  const auth = new AuthService(deps.db);
  const referential = createReferential(deps.db, deps.config.currency);
  const workflow = createWorkflow(deps.db);
  const billing = createBilling(deps.db, deps.config.currency);
  const inventory = createInventory(
    deps.db,
    deps.config.secretKey,
    (err) => http.log.error({ err }, 'announcing capacity freed by a committed transaction failed'),
    { studyLanes: deps.config.studyLanes },
  );
  const requests = createRequests(deps.db, {
    referential,
    billing,
    workflow,
    inventory,
    onError: (err) => http.log.error({ err }, 'automatic resume of a held request failed'),
  });
  const activation = createActivation(deps.db, {
    secretKey: deps.config.secretKey,
    keys: (iccid) => inventory.sims.authKeys(iccid, AUTOMATON_ACTOR),
    keysMany: (iccids) => inventory.sims.authKeysMany(iccids, AUTOMATON_ACTOR),
    workflow,
    // what a fixed line holds on its switch given its options (the audit compares and re-creates)
    lineProfile: fixedLineProfile,
    // and what a limitation for unpaid bills cuts (billing's collection)
    limitations: { lines: (dn) => lineLimitations(deps.db, dn), barring: LIMITATION_BARRING },
    onError: (err) => http.log.error({ err }, 'activation automaton'),
    // an element going down or coming back is in the process's log too, not only on /activation
    manager: {
      onCircuit: (element, state, error, since) =>
        state === 'open'
          ? http.log.warn({ element, error }, `network element ${element} unreachable: its orders wait`)
          : http.log.info(
              { element, downMs: since ? Date.now() - since.getTime() : null },
              `network element ${element} answers again`,
            ),
    },
  });
  requests.requests.orders = activation.service; // a cancelled request withdraws its pending orders

  http.setErrorHandler((err, request, reply) => sendProblem(reply, toProblem(err, request)));
  http.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: 'https://gpto.dev/problems/route.not_found',
      title: 'Not Found',
      status: 404,
      code: 'route.not_found',
      detail: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
  // A callback hook, not an async one: no promise per request for a synchronous observation.
  http.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  await http.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'GPTo API',
        version: '1',
        description: 'Commercial and technical management for telecom operators',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await http.register(swaggerUi, { routePrefix: '/api/docs' });

  registerAuthHook(http, auth);

  http.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    http.swagger(),
  );
  http.get('/health', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
      return { status: 'ok', database: 'up' };
    } catch {
      return reply.status(503).send({ status: 'down', database: 'unreachable' });
    }
  });
  http.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  registerAuthRoutes(http, deps.db, auth);
  registerReferentialRoutes(http, referential);
  registerWorkflowRoutes(http, workflow);
  registerBillingRoutes(http, billing);
  const billingCycle = createBillingCycle(deps.db, {
    currency: deps.config.currency,
    requests: requests.requests,
    workflow,
    mail: { smtpUrl: deps.config.smtpUrl, from: deps.config.mailFrom },
  });
  await registerBillingCycleRoutes(http, billingCycle);
  registerRequestRoutes(http, requests.requests);
  registerInventoryRoutes(http, inventory);
  // a request's refused step is retried through the workflow, as its basket's "retry now" does
  registerActivationRoutes(http, activation, {
    retryStep: async (taskId, req) => void (await workflow.tasks.retryNow(taskId, agentOf(req))),
  });
  const assistance = createAssistance(
    deps.db,
    { referential, workflow, billing, inventory },
    {
      currency: deps.config.currency,
      lineStatus: activationLineStatus((op, p) => activation.service.query(op, p), {
        temporary: (dn) => activation.service.temporaryInForce(dn),
        limitation: async (dn) => (await lineLimitations(deps.db, dn)).get(dn) ?? null,
      }),
    },
  );
  registerAssistanceRoutes(http, assistance);
  const directory = createDirectory(deps.db);
  await registerDirectoryRoutes(http, directory);
  await registerTmfRoutes(http, {
    db: deps.db,
    referential,
    workflow,
    billing,
    requests,
    inventory,
    activation,
    assistance,
    currency: deps.config.currency,
    billingCycle,
  });
  await registerWebApp(http, deps.webRoot);

  return {
    http,
    auth,
    referential,
    routes,
    inventory,
    workflow,
    billing,
    billingCycle,
    requests,
    activation,
    assistance,
    directory,
  };
}
