// Every series this broker defines starts with this prefix (the process_* and nodejs_* series of prom-client's
// default collectors keep their standard names, which Node.js dashboards expect).
export const PREFIX = 'kafka_';
