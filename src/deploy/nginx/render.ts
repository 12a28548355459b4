// Renders the NGINX config for cosyfleet (what `cosyfleet deploy nginx` writes, and
// deploy/nginx/cosyfleet.conf with the defaults). The file goes into NGINX's http context
// (Debian: /etc/nginx/conf.d/), so it holds only upstream, map, limit and server blocks.
import { errorLocations, errorPageDirectives } from './error-pages.js';
import type { NginxOptions } from './options.js';

/** Mozilla's "intermediate" TLS (TLS 1.2 with forward-secret AEAD ciphers, and TLS 1.3). */
const TLS_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

const HSTS = 'Strict-Transport-Security "max-age=63072000"';

function listen(options: NginxOptions, port: number, suffix: string): string[] {
  if (options.listenAddress !== null) {
    const address = options.listenAddress.includes(':') && !options.listenAddress.startsWith('[') ? `[${options.listenAddress}]` : options.listenAddress;
    return [`    listen ${address}:${port}${suffix};`];
  }
  return [`    listen ${port}${suffix};`, `    listen [::]:${port}${suffix};`];
}

/** The routes whose answers are made while they are sent: chunked audio, and OpenAI's SSE. */
function streamingLocation(path: string, shape: 'native' | 'openai'): string[] {
  return [
    `    location = ${path} {`,
    '        proxy_pass http://cosyfleet;',
    // Each chunk goes to the client as it arrives from the node, not when a buffer fills.
    '        proxy_buffering off;',
    '        postpone_output 0;',
    // Compressing audio gains nothing and would hold bytes back to fill its window.
    '        gzip off;',
    ...(shape === 'openai' ? errorPageDirectives('openai', '        ') : []),
    '    }',
  ];
}

export function renderNginxConfig(options: NginxOptions): string {
  const mib = Math.ceil(options.maxBodyBytes / 1_048_576);
  const lines: string[] = [
    '# cosyfleet behind NGINX: TLS with HTTP/2, streamed audio and SSE passed on unbuffered, the',
    '# service\'s body limits and timeouts, the client address passed on, NGINX\'s own errors as JSON.',
    '# Written by `cosyfleet deploy nginx` (src/deploy/nginx/); see docs/deployment.md, "NGINX".',
    '# It belongs in the http context: /etc/nginx/conf.d/cosyfleet.conf on Debian, then',
    '#   nginx -t && systemctl reload nginx',
    '#',
    '# Set on every cosyfleet node:',
    '#   TRUST_PROXY=<this host\'s address as the node sees it> (127.0.0.1 on one box): the node then',
    '#     takes the client address from X-Forwarded-For, and only from this proxy;',
    '#   MAX_CONNECTIONS_PER_ADDRESS=0: every connection comes from this proxy, which bounds each',
    '#     client itself (limit_conn below);',
    `#   ALLOWED_HOSTS=${options.serverName.split(/\s+/).join(',')}: the name clients use (site guard, DNS rebinding).`,
    '',
    'upstream cosyfleet {',
    // A synthesis holds its connection for seconds; round-robin would pile requests onto a
    // node that is still busy with long ones.
    '    least_conn;',
    ...options.upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=10s;`),
    `    keepalive ${options.keepaliveConnections};`,
    `    keepalive_timeout ${options.keepaliveTimeoutS}s;`,
    '    keepalive_requests 10000;',
    '}',
    '',
    // The service compares Origin with Host (site guard): Host keeps the port unless it is 443.
    'map $server_port $cosyfleet_port_suffix {',
    '    443 "";',
    '    default ":$server_port";',
    '}',
    '',
    // A client's own X-Request-Id is kept (the service logs and echoes it); otherwise NGINX's.
    'map $http_x_request_id $cosyfleet_request_id {',
    '    "" $request_id;',
    '    default $http_x_request_id;',
    '}',
    '',
    'log_format cosyfleet \'$remote_addr [$time_local] "$request" $status $body_bytes_sent \'',
    '                     \'rid=$cosyfleet_request_id upstream=$upstream_addr \'',
    '                     \'connect=$upstream_connect_time first_byte=$upstream_header_time total=$request_time\';',
    '',
    ...(options.maxConnectionsPerAddress > 0 ? ['limit_conn_zone $binary_remote_addr zone=cosyfleet_per_address:10m;', ''] : []),
  ];
  if (options.httpPort > 0) {
    lines.push(
      'server {',
      ...listen(options, options.httpPort, ''),
      `    server_name ${options.serverName};`,
      // 308 keeps the method and body of a POST, where 301 would turn it into a GET.
      `    return 308 https://$host${options.httpsPort === 443 ? '' : `:${options.httpsPort}`}$request_uri;`,
      '}',
      '',
    );
  }
  lines.push(
    'server {',
    ...listen(options, options.httpsPort, ' ssl http2'),
    `    server_name ${options.serverName};`,
    '',
    `    ssl_certificate ${options.cert};`,
    `    ssl_certificate_key ${options.key};`,
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    `    ssl_ciphers ${TLS_CIPHERS};`,
    '    ssl_prefer_server_ciphers off;',
    '    ssl_session_cache shared:cosyfleet_tls:10m;',
    '    ssl_session_timeout 1d;',
    '    ssl_session_tickets off;',
    `    add_header ${HSTS} always;`,
    '',
    `    access_log ${options.accessLog} cosyfleet;`,
    '',
    // The service's largest body limit (a voice upload) and then some; the service's own 413,
    // which names the route's limit, answers anything between its limit and this one.
    `    client_max_body_size ${mib}m;`,
    `    client_header_timeout ${options.headerTimeoutS}s;`,
    `    client_body_timeout ${options.sendTimeoutS}s;`,
    ...(options.maxConnectionsPerAddress > 0 ? [`    limit_conn cosyfleet_per_address ${options.maxConnectionsPerAddress};`, '    limit_conn_status 429;'] : []),
    '',
    // HTTP/1.1 with an empty Connection header is what lets upstream connections be kept alive.
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    '    proxy_set_header Host $host$cosyfleet_port_suffix;',
    '    proxy_set_header X-Real-IP $remote_addr;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_set_header X-Forwarded-Proto $scheme;',
    '    proxy_set_header X-Request-Id $cosyfleet_request_id;',
    `    proxy_connect_timeout ${options.connectTimeoutS}s;`,
    `    proxy_send_timeout ${options.sendTimeoutS}s;`,
    // Longer than the service's longest silence: a queued request plus a long synthesis.
    `    proxy_read_timeout ${options.readTimeoutS}s;`,
    // A node that refuses the connection or fails before answering is skipped; a request already
    // sent is never sent again (a POST is not retried once a node may have started it).
    '    proxy_next_upstream error timeout;',
    '',
    ...errorPageDirectives('native', '    '),
    '',
    ...streamingLocation('/v1/tts', 'native'),
    ...streamingLocation('/v1/audio/speech', 'openai'),
    '',
    // Probes pass through to a node, unlogged (a load balancer asks every few seconds).
    '    location = /healthz {',
    '        proxy_pass http://cosyfleet;',
    '        access_log off;',
    '    }',
    '    location = /readyz {',
    '        proxy_pass http://cosyfleet;',
    '        access_log off;',
    '    }',
    '',
    '    location / {',
    '        proxy_pass http://cosyfleet;',
    '    }',
    '',
    ...errorLocations('native', '    ', [HSTS]),
    ...errorLocations('openai', '    ', [HSTS]),
    '}',
  );
  return `${lines.join('\n')}\n`;
}
