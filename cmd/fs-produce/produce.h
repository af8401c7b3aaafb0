/*
 * fs-produce: the sources of flightstream. Each source is a subcommand
 * with a function of its own, called with argv[0] set to its name.
 */
#ifndef FS_PRODUCE_H
#define FS_PRODUCE_H

#include "cli.h"

/* The SYNOPSIS of fs-produce(1); --help prints it, and so does a usage error. */
#define PRODUCE_USAGE \
	"fs-produce sim [--seed N] [--aircraft N] [--start TIME|now] [--duration D]\n" \
	"                  [--interval D] [--speed X|max] [--faults SPEC] [--truth]\n" \
	"                  [common options]\n" \
	"       fs-produce replay [--speed X|max] [--loop] [--rebase] [common options] [file ...]\n" \
	"       fs-produce opensky [--bbox LAMIN,LOMIN,LAMAX,LOMAX] [--icao24 LIST]\n" \
	"                  [--interval D] [--once] [--url BASE] [--token-url URL]\n" \
	"                  [--file STATES.json] [--credentials FILE] [--timeout D]\n" \
	"                  [--retries N] [common options]\n" \
	"       fs-produce readsb URL|FILE [--interval D] [--once] [--timeout D]\n" \
	"                  [--retries N] [common options]\n" \
	"       fs-produce mongo [--uri URI] [--db NAME] [--collection NAME] --since TIME\n" \
	"                  --until TIME [--icao24 LIST] [--retries N] [common options]\n" \
	CLI_USAGE_COMMON

int produce_sim(int argc, char **argv);
int produce_replay(int argc, char **argv);
int produce_opensky(int argc, char **argv);
int produce_readsb(int argc, char **argv);
int produce_mongo(int argc, char **argv);

#endif
