// File: repo/reachability.h
// Walks what a commit needs: its verity list, dirtrees, dirmetas and files
// (and, when asked, its ancestors). Used by fsck (is everything a commit names
// present?) and prune (what must be kept?).
#pragma once

#include <functional>
#include <set>
#include <string>

#include "repo/objects/object_id.h"
#include "repo/store.h"

namespace larch::repo {

// Called for each object a tree references, with the path it was met at.
// Return false to stop descending into a dirtree (e.g. already visited).
using ObjectVisitor = std::function<bool(const ObjectKey& key, const std::string& path)>;

// Visits the commit's verity list (if it names one), root tree + meta and
// everything below. Stops at the first error reading a dirtree (missing or
// corrupt), naming the path, or at a verity-list key that is not an id.
Status WalkCommitTree(const Store& store, const Commit& commit, const ObjectVisitor& visit);

// Every object reachable from `commits` (commit, commitmeta if present, all
// tree objects; with follow_parents, ancestors that are present too).
Result<std::set<ObjectKey>> ReachableObjects(const Store& store, const std::set<ObjectId>& commits,
                                             bool follow_parents);

}  // namespace larch::repo
