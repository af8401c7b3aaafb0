# flightstream: the programs and the batch jobs in one image, for
# compose.yaml.
#
#   docker build -t flightstream .
#
# The build stage installs what the build needs with scripts/install-deps
# and builds with make; the image has the programs, the batch scripts,
# their man pages and the runtime libraries only, and runs as the user
# flightstream, whose state (the model, the locks) is in
# /var/lib/flightstream.

FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make -j"$(nproc)" all \
 && make install PREFIX=/usr/local DESTDIR=/out \
 && install -m 755 scripts/fs-batch-hour scripts/fs-backfill scripts/fs-retrain \
	scripts/fs-reconcile /out/usr/local/bin/ \
 && install -d /out/usr/local/share/flightstream \
 && install -m 644 scripts/crontab.example /out/usr/local/share/flightstream/crontab

FROM debian:12-slim
# The libraries the programs link, psql and flock for the batch jobs,
# cron for the cron service. fs-serve listens on 8080 (compose.yaml).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	libyajl2 librdkafka1 libpq5 libmongoc-1.0-0 libbson-1.0-0 libcurl4 libmicrohttpd12 zlib1g \
	ca-certificates postgresql-client util-linux cron \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
RUN useradd --system --user-group --home-dir /var/lib/flightstream --create-home \
	--shell /usr/sbin/nologin flightstream
ENV FS_STATE_DIR=/var/lib/flightstream
USER flightstream
EXPOSE 8080
WORKDIR /var/lib/flightstream
CMD ["fs-produce", "--help"]
