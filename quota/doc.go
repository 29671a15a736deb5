// Package quota accounts for the resources of a government cloud (政务云):
// exact resource vectors, a hierarchy of pools with hard limits and warning
// thresholds, a ledger of reservations that follows each application's
// lifecycle, and fair allocation algorithms for dividing a yearly plan when
// demand exceeds capacity.
//
// The rules come from 浙江省电子政务云计算平台管理办法 第十条 (resources —
// compute, memory, storage, bandwidth — are allocated at the value the
// system needs, "合理规划、按需分配"; systems with large load swings may scale
// elastically) and 政务云管理暂行办法 第二条 (a city cloud with dedicated domains,
// 政务云专有域, and district clouds).
//
// # Units
//
// A [Vector] maps a [Dimension] to an int64 amount in the dimension's base
// unit. All arithmetic is exact and checked: [Vector.Add], [Vector.Sub] and
// [Vector.Scale] fail with a *[DimensionError] naming the dimension when a
// result leaves the int64 range (ErrOverflow); [Vector.Validate] rejects
// negative amounts (ErrNegative) and malformed names (ErrInvalidDimension).
//
//	dimension          base unit                 example
//	vcpu               milli-vCPU (1 vCPU=1000)  4 vCPU    = 4000
//	memory             MiB                       16 GiB    = 16384
//	storage            GiB                       2 TiB     = 2048
//	bandwidth          Mbps                      1 Gbps    = 1000
//	db_instances       instances (云数据库)       2
//	public_ips         addresses                 1
//	security_services  subscriptions (云安全)     3
//
// Any other lower-case identifier is a valid countable dimension. A missing
// dimension is zero. [ParseVector] reads the canonical text form
// "memory=16384,vcpu=4000".
//
// # Pool hierarchy
//
//	platform  (KindPlatform)    a vendor's capacity in one zone (专有云 / 公有云)
//	  tier    (KindTier)        city cloud, district cloud or dedicated domain (专有域)
//	    department (KindDepartment)  a department's (yearly) quota
//	      application           a Reservation charged to the department pool
//
// A child's limit is carved out of its parent: creating a child, or raising
// its limit, needs that much free capacity in the parent, else an
// *[ExceededError] matching ErrParentCapacity names the parent and every short
// dimension. Free capacity is Limit − (Allotted + Held + Committed), where
// Allotted is the sum of the children's limits, so in every pool and every
// dimension
//
//	Σ children's limits + holds + commitments ≤ Limit,
//
// and by induction the holds and commitments of a whole subtree never exceed
// the limit of its root. A pool tracks exactly the dimensions its Limit lists
// (explicit zeros included); a demand in another dimension fails with
// ErrUnknownDimension. A limit cannot drop below what the pool uses
// (*[UseError]). A department's limit can be raised only with an [Approval]
// (the approved request, approver and time), which is recorded with the old
// and new limits in the pool's [LimitChange] history; lowering needs none.
// Warning thresholds ([Pool].Warn) do not block: a movement that leaves use
// at or above a threshold reports a [Warning] in its [Receipt].
//
// # Ledger movements and their lifecycle causes
//
// The [Ledger] enforces these rules over a [Store]. Each application has one
// [Reservation] in a department pool; every change to it is a [Movement]
// recorded with its kind, its lifecycle [Reason], the [Cause] (the caller's
// transition name, sequence number and actor), the signed deltas and the time.
//
//	movement  method       reason            lifecycle step
//	hold      Reserve      approval          审批通过: quota held, with a time-to-live
//	extend    ExtendHold   trial_extension   试用延期: the hold lives longer
//	commit    Commit       activation        终审开通: hold → commitment
//	adjust    Adjust       change            变更: commitment ± delta (increase needs room)
//	scale     Scale        scale             弹性伸缩: within approved bounds, no approval
//	release   Release      denial            审批不通过 (a hold)
//	release   Release      trial_failure     试用未通过 (a hold)
//	release   Release      expiry            到期 (a hold or a commitment)
//	release   Release      termination       终止回收 (a commitment)
//	release   Release      change            变更 that gives resources back
//	expire    ExpireHolds  hold_timeout      a stale hold past its time-to-live
//
// Holds expire after their TTL (Options.HoldTTL, default 45 days: 2 working
// days to provision, a trial of up to 30 days, a margin); Commit of an
// expired hold fails with ErrHoldExpired, and ExpireHolds, run periodically,
// releases stale holds. Releasing more than is held or committed fails with
// *[ReleaseError] (ErrOverRelease) naming the dimension.
//
// Elastic scaling: an application reserved with [Bounds] (Min, Max) may
// [Ledger.Scale] anywhere within them after activation, each step recorded
// and checked against the pool's free capacity; a level outside the bounds
// fails with *[BoundsError] (ErrOutOfBounds): it needs a change request
// (Adjust with new Bounds). An application without bounds cannot scale.
//
// Early feedback: [Ledger.Check] compares a demand with a pool's free
// capacity at submission, writes nothing, and returns an *[ExceededError]
// matching ErrQuotaExceeded with every short dimension and its shortfall.
//
// # Idempotency and transactions
//
// Every movement carries an idempotency key: the request's Key, or by
// default Application + "/" + Cause.Seq (the application's transition
// sequence number). Replaying a key with the same request writes nothing and
// returns the original movement (Receipt.Replayed); the same key with a
// different request fails with *[KeyConflictError] (ErrConflict). So the
// ledger can follow published lifecycle transitions at-least-once. Where the
// stores share a database, run the movement in the transition's own
// transaction instead: bind the store to it (gormstore's QuotaStore.WithTx)
// and use [Ledger.WithStore].
//
// Each operation is one Store transaction: it locks the pools it changes,
// parent before child (a fixed order, so no deadlocks; on PostgreSQL SELECT …
// FOR UPDATE), re-reads the reservation, checks, and writes pool,
// reservation and movement with compare-and-set on their versions. Bad input
// — a negative or overflowing amount, an unknown pool or dimension, an
// over-release, a child limit above its parent's free capacity — returns a
// typed error and writes nothing.
//
// # Allocation algorithms
//
// When departments' demands for the yearly plan exceed capacity, an
// [Allocator] divides it. All are deterministic: claims are sorted by
// department ID, ties go to the lower ID, the result does not depend on the
// order of the claims, and every grant is an integer vector with
//
//	0 ≤ grantᵢ ≤ demandᵢ   and   Σᵢ grantᵢ ≤ capacity   (exactly, in every dimension).
//
// Rounding is the largest-remainder (Hamilton) method: each claim first gets
// the floor of its exact share, then the units left over go one each to the
// claims with the largest fractional remainders (ties: lower department ID).
// The number of units handed out is the exact (or, for DRF, the rounded
// continuous) total, never above the capacity, and no claim gets more than
// the ceiling of its exact share, so every integer grant is within one unit
// of the exact one in every dimension.
//
// [Proportional]: per dimension, xᵢ = c·dᵢ/Σd when Σd > c, else dᵢ. Exact
// 128-bit integer arithmetic; the total is exactly min(c, Σd).
//
// [MaxMin]: weighted max-min fairness per dimension by water-filling: the
// level λ with Σ min(dᵢ, wᵢλ) = min(c, Σd) (claims with the smallest dᵢ/wᵢ
// saturate first). Exact integer comparisons; work-conserving (the total is
// min(c, Σd)); max-min fair within rounding: for any claim i left short and
// any claim j, (xⱼ−1)/wⱼ < (xᵢ+1)/wᵢ.
//
// [PriorityTiers]: tiers by descending Priority; each tier gets what remains
// divided by its Within allocator (default MaxMin), and capacity a tier does
// not use passes down. A lower tier gets a resource only when every higher
// claim's demand for it is met.
//
// [DRF]: weighted Dominant Resource Fairness for several resources at once
// (A. Ghodsi, M. Zaharia, B. Hindman, A. Konwinski, S. Shenker, I. Stoica,
// "Dominant Resource Fairness: Fair Allocation of Multiple Resource Types",
// NSDI 2011), in the continuous form with demand caps (D. Parkes, A.
// Procaccia, N. Shah, "Beyond Dominant Resource Fairness", ACM TEAC 2015).
// Each claim i receives tᵢ·dᵢ, a fraction of its whole demand vector, and its
// dominant share is tᵢ·maxᵣ(dᵢᵣ/cᵣ). Progressive filling raises every active
// claim's dominant share divided by its weight at the same rate; a claim stops
// when its demand is met (tᵢ = 1) or a resource it needs is exhausted. The
// implementation jumps from event to event (O(n log n + n·m + m²·n)); the
// continuous solution is computed in float64 with rounding fused nowhere, so
// it is identical on every platform, then rounded per dimension by largest
// remainder. Guarantees of the continuous solution, and how they hold after
// rounding (each component within one unit), with uᵢ(y) = min(1, minᵣ yᵣ/dᵢᵣ)
// the fraction of its demand a grant y lets claim i use:
//
//   - Pareto efficiency: every claim not fully served needs a resource that
//     is used up exactly (Σ x = c in that dimension);
//   - envy-freeness (weighted): uᵢ((wᵢ/wⱼ)(xⱼ−1)) ≤ uᵢ(xᵢ+1) for all i, j;
//   - sharing incentive: uᵢ(xᵢ+1) ≥ min(1, (wᵢ/Σw)/maxᵣ(dᵢᵣ/cᵣ));
//   - strategy-proofness: misreporting a demand dᵢ′ (inflating it, or claiming
//     resources not needed) never helps: uᵢ(xᵢ′−1) ≤ uᵢ(xᵢ+1).
//
// The property tests check these on thousands of random instances with fixed
// seeds (the ±1 terms are the rounding; 10⁻⁹ absorbs floating error). With a
// single resource DRF coincides with MaxMin within one unit.
//
// # Storage
//
// [Store] is small: Update and View transactions handing out a [Tx]. The
// in-memory reference is adapters/memstore (NewQuotaStore); adapters/gormstore
// keeps quota on SQLite or PostgreSQL. quotatest.Run is the conformance suite
// every Store passes.
package quota
