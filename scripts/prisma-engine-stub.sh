#!/bin/sh
# Stand-in for Prisma's native schema engine on machines that cannot download it.
# Only `prisma generate|validate|format` are run with it (see prisma.config.ts).
echo "prisma schema engine is not available offline; use npm run db:migrate" >&2
exit 1
