/*
 * Silo: the backup / prune / lease protocol (docs/FORMAT.md §11) as a Promela model for spin.
 *
 *   scripts/check-model.sh                     the protocol as meant: no error
 *   scripts/check-model.sh -D OLD_SWEEP         the sweep before the fix: assertion violated
 *   scripts/check-model.sh -D NO_COMMIT_CHECK   no lease check around the commit, and prunes that
 *                                               misjudge the lease: assertion violated
 *   scripts/check-model.sh -D INDEX_FILES       index files as objects that prunes rewrite
 *                                               (read, write merged, delete): no error
 *   -D NO_PACK_LISTING                          a backup does not list packs/ (step 2c): no error
 *                                               alone, violated with INDEX_FILES or SYNC_INDEX_FIRST
 *   -D LIST_PACKS_FIRST                         a backup lists packs/ before it reads the markers:
 *                                               violated with INDEX_FILES
 *   -D SYNC_INDEX_FIRST                         a backup reads the index before the markers (the
 *                                               order of Repository.syncCatalog before the fix):
 *                                               no error alone, violated with NO_PACK_LISTING
 *   -D LEASES_FIRST                             the sweep reads the leases before the markers: violated
 *   -D NO_PRE_CHECK                             no lease check before the snapshot (step 5): no error
 *   -D NO_POST_CHECK                            no lease check after the snapshot (step 7): violated
 *   -D NO_SWEEP_AT_ONCE                         no step e (a prune deletes only what earlier
 *                                               prunes marked): no error
 *   -D STALE_LEASES_AT_ONCE                     step e trusts the lease read of step c, made before
 *                                               the mark, instead of reading the leases again: violated
 *   -D NO_LOSS (with any of these)              the backup is never paused past the stale time
 *
 * docs/model/README.md says what is modelled, what is abstracted and what the checks found.
 *
 * Processes: one backup; the event "the backup's lease is lost" (it was paused longer than the
 * stale time); two prunes that may run at the same time, each doing one whole Pruner.run; a
 * monitor that checks the invariant in every reachable state. Every statement outside an atomic
 * or d_step block is one step: between two steps of a process the others may take any number
 * of steps (spin explores all interleavings), which is "any number of pauses of any length".
 *
 * Abstractions:
 *  - one chunk per pack: "a snapshot references a chunk" = "it references its pack";
 *  - logical time: `now` ticks whenever a time is recorded (a lease's `started`, a marker's
 *    `marked`); the protocol only ever compares such times with each other, so ticking at
 *    every other step too would change no comparison, only multiply the states;
 *  - grace = 0, no clock skew: a marker is old enough at once, and deletable when
 *    marked < started of every live backup lease;
 *  - lease staleness: the monotonic flag `lost`; a prune may judge the backup lease stale only
 *    while `lost` is set (at any time in NO_COMMIT_CHECK: e.g. the PID of another PID namespace
 *    taken for a dead process);
 *  - reading a folder (the index, the markers, the snapshots, the leases) is one atomic step:
 *    in the code an object listed and deleted before it is fetched makes the reader fail,
 *    and a run that fails commits and deletes nothing more;
 *  - listing packs/ (step 2c) is one atomic step too: a paginated listing reports each pack as
 *    it was at some moment during the listing, all of them after the markers were read, and
 *    the argument for step 2c holds pack by pack for any such moment;
 *  - Repository.dropMissingPacksFromIndex (at the start of a prune, and `index rebuild`) is not
 *    modelled: it takes out of the index only packs that are gone (each confirmed by a stat),
 *    and a pack never comes back, so it removes nothing step 2c would let a backup reuse and
 *    changes what step d marks for no existing pack; its rewrite of the index files is one
 *    more read-modify-write like the sweep's, which can leave gone packs named (INDEX_FILES)
 *    but never drops an entry of a pack it keeps;
 *  - the index, unless INDEX_FILES: one "indexed" bit per pack, cleared at once for the
 *    doomed packs (the code rewrites whole index files; INDEX_FILES models that);
 *  - prune leases are not modelled: the two prunes really overlap (a prune paused past the
 *    stale time, or one running with an in-memory lease on a full disk);
 *  - no crash, no forget: no snapshot but the backup's is ever deleted.
 */

/* Packs, as bits: a set of packs is a byte (the sum of its packs). */
#define P0 1   /* referenced by the earlier snapshot S0 */
#define G1 2   /* garbage (no snapshot references it), already in marker M0 (marked at time 0) */
#define G2 4   /* garbage, not marked: a backup may deduplicate against it */
#define NP 8   /* the pack the backup writes */

byte exists = P0 | G1 | G2;    /* packs/<id> */

/* The index: which packs index/<id> files name. */
#ifdef INDEX_FILES
/* File 0: the one the earlier backups left (P0, G1, G2); file 1: the backup's (N);
 * file 1+k: the one prune k writes when it rewrites index files in step c, file 3+k in step e.
 * Contents never change. */
#define NF 6
bool fExists[NF];
byte fPacks[NF];
#define FPACKS(i) (fExists[i] -> fPacks[i] : 0)
#define INDEXED   (FPACKS(0) | FPACKS(1) | FPACKS(2) | FPACKS(3) | FPACKS(4) | FPACKS(5))
#else
byte indexed = P0 | G1 | G2;
#define INDEXED   indexed
#endif

/* Snapshots: S0 references P0 and is never deleted; SB is the backup's. */
#define S0REFS P0
bool sbExists;
byte sbRefs;
bool committed;                /* the backup reached step 8: its snapshot is committed */

/* The backup's lease locks/<random>. */
bool leaseExists;
byte leaseStarted;
bool lost;                     /* paused past the stale time; never reset */
#ifdef INDEX_FILES
/* Another backup, B0, started (time 1) before this model begins and synchronised before the
 * marker M1 (time 2) was written; all it does here is end, deleting its lease. */
bool b0Lease;
#define B0_STARTED 1
#endif

/* Deletion markers deletions/<id>: slot 0 = M0 (an earlier prune's), slot k (1, 2) = the one
 * prune k writes (at most one each), slot 3 = M1 (INDEX_FILES only). Contents never change. */
#define NM 4
bool mExists[NM];
byte mPacks[NM];
byte mTime[NM];

byte now;                      /* logical clock */

#define MBIT(i)          (mExists[i] -> (1 << (i)) : 0)
#define EXISTING_MARKERS (MBIT(0) | MBIT(1) | MBIT(2) | MBIT(3))
#define MPACKS(set, i)   (((set) & (1 << (i))) -> mPacks[i] : 0)
#define PACKS_OF(set)    (MPACKS(set, 0) | MPACKS(set, 1) | MPACKS(set, 2) | MPACKS(set, 3))

#ifdef NO_COMMIT_CHECK
#define MAY_JUDGE_STALE true   /* Lease.isStale wrong about a running backup */
#else
#define MAY_JUDGE_STALE lost   /* Lease.isStale: not refreshed for Lease.staleAfter */
#endif

/* The invariant: S0's packs exist; once the backup's snapshot is committed, its packs exist. */
#define INV (((exists & S0REFS) == S0REFS) && (!committed || ((exists & sbRefs) == sbRefs)))

/* The backup: SnapshotBuilder (init, commit -> save, release), as Archiver.run uses it. */
proctype Backup()
{
	byte seenMarked, usable, x;
#ifdef LIST_PACKS_FIRST
	byte listed;
#endif

	/* 1. SnapshotBuilder.init: repository.takeLease(.backup), started = now. */
	atomic { now++; leaseStarted = now; leaseExists = true; printf("B1 backup: lease written, started=%d\n", now) };
#ifdef LIST_PACKS_FIRST
	/* 2c too early: packs/ listed before the markers (and the index) are read. */
	d_step { listed = exists; printf("B2c backup: lists packs (before the markers): existing %d\n", listed) };
#endif

	/* 2. SnapshotBuilder.init: repository.syncCatalog(): the markers, then the index files (then
	 *    the snapshots, not modelled). The backup relies on the index only outside the markers it
	 *    saw. SYNC_INDEX_FIRST: the order of Repository.syncCatalog before the fix (index files,
	 *    snapshots, then markers). */
#ifdef SYNC_INDEX_FIRST
	d_step { usable = INDEXED; printf("B2 backup: reads the index: packs %d\n", usable) };
	d_step { seenMarked = PACKS_OF(EXISTING_MARKERS); usable = usable & ~seenMarked;
	         printf("B2 backup: reads the markers: packs %d marked; may reuse %d\n", seenMarked, usable) };
#else
	d_step { seenMarked = PACKS_OF(EXISTING_MARKERS); printf("B2 backup: reads the markers: packs %d marked\n", seenMarked) };
	d_step { usable = INDEXED & ~seenMarked; printf("B2 backup: reads the index: may reuse packs %d\n", usable) };
#endif

	/* 2c. SnapshotBuilder.init: repository.syncPackListing() (FORMAT.md §10, invariant 8): list
	 *     packs/ and rely on no pack the listing lacks. It must come AFTER the markers: a pack
	 *     deleted before the listing is not listed; one deleted after it is deleted by a sweep
	 *     that saw the lease, whose marker (older than the lease) was deleted after the pack and
	 *     so still existed when the markers were read: the backup does not rely on it (a sweep
	 *     that did not see the lease is answered by c3 and step 7). NO_PACK_LISTING: no
	 *     listing; LIST_PACKS_FIRST: the listing made right after the lease, before the markers. */
#if defined(LIST_PACKS_FIRST)
	d_step { usable = usable & listed; listed = 0; printf("B2c backup: with the earlier listing, may reuse %d\n", usable) };
#elif !defined(NO_PACK_LISTING)
	d_step { usable = usable & exists; printf("B2c backup: lists packs: existing %d; may reuse %d\n", exists, usable) };
#endif

	/* 3. "No reuse" (BlobWriter.claim/isKnown): deduplicate only against chunks indexed outside
	 *    marked packs, in packs the listing of step 2c has. Pick one such pack X, or none; then
	 *    ChunkPipeline/BlobWriter write the new pack N (packs/<id>, not yet indexed). */
	if
	:: usable & P0 -> x = P0
	:: usable & G1 -> x = G1
	:: usable & G2 -> x = G2
	:: true -> x = 0
	fi;
	d_step { exists = exists | NP; printf("B3 backup: reuses pack %d, writes pack N=%d\n", x, NP) };

	/* 4. SnapshotBuilder.finishWrites -> BlobWriter.flush: an index file naming N. */
#ifdef INDEX_FILES
	d_step { fPacks[1] = NP; fExists[1] = true; printf("B4 backup: index file 1 written, names N\n") };
#else
	d_step { indexed = indexed | NP; printf("B4 backup: index names N\n") };
#endif

	/* 5. SnapshotBuilder.save: lease.confirm() before the snapshot. On failure the lease is
	 *    released (Archiver.run's defer: builder.release()) and nothing is committed. */
#if !defined(NO_COMMIT_CHECK) && !defined(NO_PRE_CHECK)
	if
	:: atomic { lost -> leaseExists = false; printf("B5 backup: lease lost before the snapshot: fails, lease deleted\n") }; goto failed
	:: else -> skip
	fi;
#endif

	/* 6. SnapshotBuilder.save: repository.saveSnapshot, snapshots/<id> referencing {X, N}. */
	atomic { sbRefs = x | NP; sbExists = true; printf("B6 backup: snapshot written, references packs %d\n", sbRefs) };

	/* 7. SnapshotBuilder.save: lease.confirm() after the snapshot. On failure
	 *    repository.removeSnapshot(id), then the lease is released. */
#if !defined(NO_COMMIT_CHECK) && !defined(NO_POST_CHECK)
	if
	:: atomic { lost -> sbExists = false; printf("B7 backup: lease lost after the snapshot: snapshot deleted\n") };
	   atomic { leaseExists = false; printf("B7 backup: lease deleted, fails\n") }; goto failed
	:: else -> skip
	fi;
#endif

	/* 8. Archiver.run's defer: builder.release() deletes the lease; the backup succeeded. */
	atomic { leaseExists = false; committed = true; printf("B8 backup: lease deleted, snapshot COMMITTED (packs %d)\n", sbRefs) };
	goto done;
failed:
	skip;
done:
	seenMarked = 0; usable = 0; x = 0
}

/* The backup is paused longer than the stale time (HeldLease.refresh then sets `lost`):
 * possible at any moment while its lease exists, at most once, never undone. */
proctype Loss()
{
end:	atomic { leaseExists && !lost -> lost = true; printf("-- the backup's lease is lost (paused past the stale time)\n") }
}

#ifdef INDEX_FILES
proctype OtherBackup()
{
	atomic { b0Lease = false; printf("B0 other backup: ends, lease deleted\n") }
}
#endif

/* c1. repository.deletionMarkers() (in Prune: reads and sets its locals). */
inline readMarkers()
{
	d_step { seen = EXISTING_MARKERS; printf("Pc prune %d: reads markers: slots %d (packs %d)\n", me, seen, PACKS_OF(seen)) };
}

/* c2. repository.liveLeases(removingStale: true), the backup leases: one judged stale is
 *     ignored, and deleted. (B0's lease, INDEX_FILES, is read in the same listing.) */
inline readLeases()
{
	if
	:: atomic { leaseExists && MAY_JUDGE_STALE -> leaseExists = false; backupLive = false;
#ifdef INDEX_FILES
	            b0Live = b0Lease;
#endif
	            printf("Pc prune %d: reads leases: the backup lease judged stale, ignored and deleted\n", me) }
	:: atomic { leaseExists -> backupLive = true; started = leaseStarted;
#ifdef INDEX_FILES
	            b0Live = b0Lease;
#endif
	            printf("Pc prune %d: reads leases: backup lease live, started=%d\n", me, started) }
	:: atomic { !leaseExists -> backupLive = false;
#ifdef INDEX_FILES
	            b0Live = b0Lease;
#endif
	            printf("Pc prune %d: reads leases: no backup lease\n", me) }
	fi;
}

/* The sweep of the markers in `deletable`, after a lease read that made them deletable
 * (Pruner.deletePacks): list the snapshots again, then the index, the packs, the markers.
 * `slot` is the index file a rewrite writes. */
inline sweepDeletable(slot)
{
	/* c3. The fix, Pruner.addSnapshotsSavedMeanwhile: only now, AFTER reading the leases, list
	 *     the snapshots again and add what they reference to the live set. A backup writes its
	 *     snapshot before it deletes its lease: a prune that did not see the lease sees the
	 *     snapshot here. */
#ifndef OLD_SWEEP
	d_step { live = live | (sbExists -> sbRefs : 0); printf("Pc prune %d: lists snapshots again: live packs %d\n", me, live) };
#endif

	/* packsHoldingOnlyCopiesOfLiveChunks: marked packs still live are kept. (doomedPacks also
	 * keeps packs holding bases of deltas that stay; one chunk per pack: no deltas here.) */
	doomed = PACKS_OF(deletable) & ~live;

	/* 1. rewriteIndex(without: doomed): the index stops naming the doomed packs. */
#ifdef INDEX_FILES
	/* The index files naming a doomed pack are read, what they name besides is written into a
	 * new file, then they are deleted. */
	d_step {
		affected = 0;
		if :: FPACKS(0) & doomed -> affected = affected | 1 :: else fi;
		if :: FPACKS(1) & doomed -> affected = affected | 2 :: else fi;
		if :: FPACKS(2) & doomed -> affected = affected | 4 :: else fi;
		if :: FPACKS(3) & doomed -> affected = affected | 8 :: else fi;
		if :: FPACKS(4) & doomed -> affected = affected | 16 :: else fi;
		if :: FPACKS(5) & doomed -> affected = affected | 32 :: else fi;
		merged = ((affected & 1 -> fPacks[0] : 0) | (affected & 2 -> fPacks[1] : 0) |
		          (affected & 4 -> fPacks[2] : 0) | (affected & 8 -> fPacks[3] : 0) |
		          (affected & 16 -> fPacks[4] : 0) | (affected & 32 -> fPacks[5] : 0)) & ~doomed;
		printf("Pc prune %d: deletable marker slots %d, doomed packs %d; reads index files %d\n", me, deletable, doomed, affected)
	};
	if
	:: merged != 0 -> d_step { fPacks[slot] = merged; fExists[slot] = true;
	                           printf("Pc prune %d: index file %d written, names %d\n", me, slot, merged) }
	:: else -> skip
	fi;
	do
	:: atomic { affected & 1 -> fExists[0] = false; affected = affected & ~1; printf("Pc prune %d: deletes index file 0\n", me) }
	:: atomic { affected & 2 -> fExists[1] = false; affected = affected & ~2; printf("Pc prune %d: deletes index file 1\n", me) }
	:: atomic { affected & 4 -> fExists[2] = false; affected = affected & ~4; printf("Pc prune %d: deletes index file 2\n", me) }
	:: atomic { affected & 8 -> fExists[3] = false; affected = affected & ~8; printf("Pc prune %d: deletes index file 3\n", me) }
	:: atomic { affected & 16 -> fExists[4] = false; affected = affected & ~16; printf("Pc prune %d: deletes index file 4\n", me) }
	:: atomic { affected & 32 -> fExists[5] = false; affected = affected & ~32; printf("Pc prune %d: deletes index file 5\n", me) }
	:: affected == 0 -> break
	od;
	merged = 0;
#else
	d_step { indexed = indexed & ~doomed;
	         printf("Pc prune %d: deletable marker slots %d, doomed packs %d: removed from the index\n", me, deletable, doomed) };
#endif

	/* 2. store.delete(ObjectKeys.pack(pack)), one pack at a time. */
	do
	:: atomic { doomed & P0 -> exists = exists & ~P0; doomed = doomed & ~P0; printf("Pc prune %d: deletes pack %d\n", me, P0) }
	:: atomic { doomed & G1 -> exists = exists & ~G1; doomed = doomed & ~G1; printf("Pc prune %d: deletes pack %d\n", me, G1) }
	:: atomic { doomed & G2 -> exists = exists & ~G2; doomed = doomed & ~G2; printf("Pc prune %d: deletes pack %d\n", me, G2) }
	:: atomic { doomed & NP -> exists = exists & ~NP; doomed = doomed & ~NP; printf("Pc prune %d: deletes pack %d\n", me, NP) }
	:: doomed == 0 -> break
	od;

	/* 3. store.delete(entry.key): the deletable markers, one at a time. */
	do
	:: atomic { deletable & 1 -> mExists[0] = false; deletable = deletable & ~1; printf("Pc prune %d: deletes marker slot 0\n", me) }
	:: atomic { deletable & 2 -> mExists[1] = false; deletable = deletable & ~2; printf("Pc prune %d: deletes marker slot 1\n", me) }
	:: atomic { deletable & 4 -> mExists[2] = false; deletable = deletable & ~4; printf("Pc prune %d: deletes marker slot 2\n", me) }
	:: atomic { deletable & 8 -> mExists[3] = false; deletable = deletable & ~8; printf("Pc prune %d: deletes marker slot 3\n", me) }
	:: deletable == 0 -> break
	od;
}

/* A prune: Pruner.run. `me` (1 or 2) is the marker slot it writes. */
proctype Prune(byte me)
{
	byte live, seen, deletable, doomed, cand, started;
	bool backupLive;
#ifdef INDEX_FILES
	byte affected, merged;
	bool b0Live;
#endif

	/* a. Pruner.run: repository.liveLeases(removingStale: true) (formerly removeStaleLeases):
	 *    a lease judged stale is deleted. */
	if
	:: atomic { leaseExists && MAY_JUDGE_STALE -> leaseExists = false; printf("Pa prune %d: deletes the backup lease as stale\n", me) }
	:: true -> skip
	fi;

	/* b. Pruner.markLive: the snapshots listed now make the live set. */
	d_step { live = S0REFS | (sbExists -> sbRefs : 0); printf("Pb prune %d: lists snapshots: live packs %d\n", me, live) };

	/* c. Pruner.sweep: c1 repository.deletionMarkers(), THEN c2 the leases (LEASES_FIRST: the
	 *    other way round). */
#ifdef LEASES_FIRST
	readLeases(); readMarkers();
#else
	readMarkers(); readLeases();
#endif

	/* Deletable: marked < now - grace (always: grace = 0) and marked < oldestBackup - grace. */
#ifdef INDEX_FILES
#define DELETABLE(i) ((seen & (1 << (i))) && (!backupLive || mTime[i] < started) && (!b0Live || mTime[i] < B0_STARTED))
#else
#define DELETABLE(i) ((seen & (1 << (i))) && (!backupLive || mTime[i] < started))
#endif
	d_step {
		deletable = 0;
		if :: DELETABLE(0) -> deletable = deletable | 1 :: else fi;
		if :: DELETABLE(1) -> deletable = deletable | 2 :: else fi;
		if :: DELETABLE(2) -> deletable = deletable | 4 :: else fi;
		if :: DELETABLE(3) -> deletable = deletable | 8 :: else fi;
#ifdef INDEX_FILES
		printf("Pc prune %d: B0's lease (started=1) live=%d\n", me, b0Live);
#endif
		started = 0
	};

	sweepDeletable(1 + me);

	/* d. Pruner.markUnneeded: the packs listed now that are not live, or that no index names. */
	atomic { cand = exists & ~(live & INDEXED); printf("Pd prune %d: lists packs: to mark %d\n", me, cand) };
	/* repository.writeDeletionMarker(marked: now). */
	if
	:: cand != 0 -> atomic { now++; mTime[me] = now; mPacks[me] = cand; mExists[me] = true;
	                         printf("Pd prune %d: marker slot %d written: packs %d, marked=%d\n", me, me, cand, now) }
	:: else -> goto finished
	fi;

	/* e. Pruner.sweepAtOnce: AFTER writing the marker, read the markers, then the leases again;
	 *    with no live backup lease at all, every marker read is deletable now, whatever its time.
	 *    A backup whose lease this read misses wrote it after the marker existed (and then reads
	 *    the markers: no reuse), or has ended (c3 lists its snapshot), or lost it (step 7).
	 *    STALE_LEASES_AT_ONCE: the lease read of step c, made before the mark, is trusted instead. */
#ifndef NO_SWEEP_AT_ONCE
#ifdef INDEX_FILES
	/* With index files only prune 1 sweeps at once: with both, the search outgrows 1 GB. */
	if :: me == 1 -> skip :: else -> goto finished fi;
#endif
	readMarkers();
#ifndef STALE_LEASES_AT_ONCE
	readLeases();
#endif
#ifdef INDEX_FILES
	if :: !backupLive && !b0Live -> skip :: else -> goto finished fi;
#else
	if :: !backupLive -> skip :: else -> goto finished fi;
#endif
	d_step { deletable = seen; printf("Pe prune %d: no backup lease after the mark: marker slots %d deletable now\n", me, deletable) };
	sweepDeletable(3 + me);
#endif
finished:
	live = 0; seen = 0; cand = 0; backupLive = false
#ifdef INDEX_FILES
	; b0Live = false
#endif
}

/* Checks the invariant in every reachable state. */
active proctype Monitor()
{
end:	atomic { !INV -> printf("VIOLATION: packs existing %d, committed %d, snapshot packs %d\n", exists, committed, sbRefs); assert(INV) }
}

init
{
	atomic {
		/* M0: G1 was marked by an earlier prune, at time 0. */
		mExists[0] = true; mPacks[0] = G1; mTime[0] = 0;
		printf("packs: P0=%d G1=%d G2=%d N=%d (a set of packs is their sum); marker slot 0 = M0 {G1} marked=0\n", P0, G1, G2, NP);
#ifdef INDEX_FILES
		fExists[0] = true; fPacks[0] = P0 | G1 | G2;
		/* B0 started at 1; then a prune marked G2 (M1, slot 3, time 2). */
		b0Lease = true;
		mExists[3] = true; mPacks[3] = G2; mTime[3] = 2;
		now = 2;
		printf("index file 0 names P0 G1 G2; backup B0 running, started=1; marker slot 3 = M1 {G2} marked=2\n");
		run OtherBackup();
#endif
		run Backup();
#ifndef NO_LOSS
		run Loss();
#endif
		run Prune(1);
		run Prune(2)
	}
}
