//! Prediction: walking the trees for one row or, tree by tree, for a batch of rows.

use super::{Node, Tree, TreeEnsemble, LEAF};

/// From this many trees on, a row is binned once and every tree compares bins; below it, trees compare
/// raw values with the edges (binning all features would cost more than the few comparisons saved).
const BIN_FIRST: usize = 4;

/// How many rows walk a tree together in batch prediction.
const WALK_LANES: usize = 8;

impl Tree {
    /// The leaf a row ends in, `go_right` deciding at each split; returns the leaf's value index.
    #[inline]
    fn walk(&self, go_right: impl Fn(&Node) -> bool) -> usize {
        let mut node = self.nodes[0];
        while node.feature != LEAF {
            node = self.nodes[node.child as usize + usize::from(go_right(&node))];
        }
        node.child as usize
    }

    /// Appends the leaf of rows `0..n` to `out`. Rows walk [`WALK_LANES`] at a time, in step: one
    /// row's walk is a chain of dependent loads, and several independent chains let the processor
    /// overlap them instead of waiting on each in turn.
    fn leaves(&self, n: usize, out: &mut Vec<u32>, go_right: impl Fn(usize, &Node) -> bool) {
        let mut start = 0;
        while start + WALK_LANES <= n {
            let mut at = [0u32; WALK_LANES];
            loop {
                let mut moved = false;
                for (lane, at) in at.iter_mut().enumerate() {
                    let node = &self.nodes[*at as usize];
                    if node.feature != LEAF {
                        *at = node.child + u32::from(go_right(start + lane, node));
                        moved = true;
                    }
                }
                if !moved {
                    break;
                }
            }
            out.extend(at.iter().map(|&a| self.nodes[a as usize].child));
            start += WALK_LANES;
        }
        for i in start..n {
            out.push(self.walk(|node| go_right(i, node)) as u32);
        }
    }

    /// The leaf of a binned row.
    fn leaf_of(&self, bins: &[u8]) -> usize {
        self.walk(|node| bins[node.feature as usize] > node.bin)
    }

    /// The leaf a raw (unbinned) row falls in, comparing with each split's threshold: cheaper than
    /// binning every feature when only a few trees are asked.
    fn leaf_of_raw(&self, row: &[f64]) -> usize {
        self.walk(|node| row[node.feature as usize] > node.threshold)
    }
}

impl TreeEnsemble {
    /// Class probabilities of one row: the mean over trees of each leaf's class shares.
    pub(crate) fn proba_row(&self, row: &[f64], bins: &mut Vec<u8>, out: &mut [f64]) {
        let binned = self.trees.len() >= BIN_FIRST;
        if binned {
            self.binner.row(row, bins);
        }
        out.fill(0.0);
        let k = self.n_classes;
        for tree in &self.trees {
            let leaf = if binned { tree.leaf_of(bins) } else { tree.leaf_of_raw(row) };
            let counts = &tree.counts[leaf * k..(leaf + 1) * k];
            let total: u32 = counts.iter().sum();
            for (o, &c) in out.iter_mut().zip(counts) {
                *o += f64::from(c) / f64::from(total);
            }
        }
        let n = self.trees.len() as f64;
        for o in out.iter_mut() {
            *o /= n;
        }
    }

    /// The predicted value of one row: the mean over trees of each leaf's mean.
    pub(crate) fn value_row(&self, row: &[f64], bins: &mut Vec<u8>) -> f64 {
        let sum: f64 = if self.trees.len() >= BIN_FIRST {
            self.binner.row(row, bins);
            self.trees.iter().map(|t| t.means[t.leaf_of(bins)]).sum()
        } else {
            self.trees.iter().map(|t| t.means[t.leaf_of_raw(row)]).sum()
        };
        sum / self.trees.len() as f64
    }

    /// Class probabilities of many rows (`data` row-major, `p` features) into `out` (row-major,
    /// `n_classes` per row), tree by tree so that each tree stays in cache while every row walks it.
    pub(crate) fn proba_batch(&self, data: &[f64], p: usize, out: &mut [f64]) {
        let k = self.n_classes;
        let n = out.len() / k.max(1);
        out.fill(0.0);
        let bins = self.bin_rows(data, p, n);
        let mut leaves = Vec::with_capacity(n);
        for tree in &self.trees {
            let leaves = Self::leaves_in_batch(tree, bins.as_deref(), data, p, n, &mut leaves);
            // With fewer rows than leaves (one row typed into a form), each row's leaf shares are
            // worked out where it lands; with many, once per leaf. The same divisions either way.
            if n * 4 < tree.counts.len() / k.max(1) {
                for (slot, &leaf) in out.chunks_exact_mut(k).zip(leaves) {
                    let counts = &tree.counts[leaf as usize * k..(leaf as usize + 1) * k];
                    let total = f64::from(counts.iter().sum::<u32>());
                    for (o, &c) in slot.iter_mut().zip(counts) {
                        *o += f64::from(c) / total;
                    }
                }
                continue;
            }
            let fractions: Vec<f64> = tree
                .counts
                .chunks_exact(k)
                .flat_map(|counts| {
                    let total = f64::from(counts.iter().sum::<u32>());
                    counts.iter().map(move |&c| f64::from(c) / total)
                })
                .collect();
            for (slot, &leaf) in out.chunks_exact_mut(k).zip(leaves) {
                let leaf = leaf as usize;
                for (o, f) in slot.iter_mut().zip(&fractions[leaf * k..(leaf + 1) * k]) {
                    *o += f;
                }
            }
        }
        let trees = self.trees.len() as f64;
        out.iter_mut().for_each(|o| *o /= trees);
    }

    /// Predicted values of many rows, tree by tree (see [`TreeEnsemble::proba_batch`]).
    pub(crate) fn values_batch(&self, data: &[f64], p: usize, out: &mut [f64]) {
        let n = out.len();
        out.fill(0.0);
        let bins = self.bin_rows(data, p, n);
        let mut leaves = Vec::with_capacity(n);
        for tree in &self.trees {
            let leaves = Self::leaves_in_batch(tree, bins.as_deref(), data, p, n, &mut leaves);
            for (o, &leaf) in out.iter_mut().zip(leaves) {
                *o += tree.means[leaf as usize];
            }
        }
        let trees = self.trees.len() as f64;
        out.iter_mut().for_each(|o| *o /= trees);
    }

    /// The leaf of each of the `n` rows of a batch (by its bins when the batch was binned, else by raw
    /// values), written into `leaves`.
    fn leaves_in_batch<'a>(
        tree: &Tree,
        bins: Option<&[u8]>,
        data: &[f64],
        p: usize,
        n: usize,
        leaves: &'a mut Vec<u32>,
    ) -> &'a [u32] {
        leaves.clear();
        match bins {
            Some(bins) => tree.leaves(n, leaves, |i, node| bins[i * p + node.feature as usize] > node.bin),
            None => tree.leaves(n, leaves, |i, node| data[i * p + node.feature as usize] > node.threshold),
        }
        leaves
    }

    /// Every row's bins, row-major, when there are enough trees to make binning pay.
    fn bin_rows(&self, data: &[f64], p: usize, n: usize) -> Option<Vec<u8>> {
        (self.trees.len() >= BIN_FIRST).then(|| {
            let mut bins = Vec::with_capacity(n * p);
            for row in data.chunks_exact(p.max(1)).take(n) {
                bins.extend(row.iter().enumerate().map(|(f, &v)| self.binner.bin(f, v)));
            }
            bins
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::params;
    use super::super::{fit_ensemble, TreeTarget};
    use crate::models::Progress;
    use ndarray::Array2;

    #[test]
    fn batch_walks_in_lanes_agree_with_one_row_walks() {
        // 203 rows: 25 full blocks of lanes and a remainder of 3; one tree walks raw values, ten
        // trees walk bins, classification and regression.
        let n = 203;
        let x =
            Array2::from_shape_vec((n, 3), (0..3 * n).map(|i| ((i * 7919) % 103) as f64 * 0.37).collect())
                .unwrap();
        let classes: Vec<usize> =
            (0..n).map(|i| usize::from(x[[i, 0]] > x[[i, 1]] + x[[i, 2]] * 0.3)).collect();
        let values: Vec<f64> = (0..n).map(|i| x[[i, 0]] - 2.0 * x[[i, 2]]).collect();
        let data = x.as_slice().unwrap();
        let mut bins = Vec::new();
        for trees in [1, 10] {
            let classifier = fit_ensemble(
                &x,
                TreeTarget::Classes(&classes, 2),
                params(2),
                trees,
                trees > 1,
                3,
                &mut Progress::none(),
            )
            .unwrap();
            let mut batch = vec![0.0; n * 2];
            classifier.proba_batch(data, 3, &mut batch);
            let mut one = [0.0; 2];
            for i in 0..n {
                classifier.proba_row(&data[i * 3..(i + 1) * 3], &mut bins, &mut one);
                assert_eq!(batch[i * 2..i * 2 + 2], one, "row {i}, {trees} trees");
                // A batch of one row (fewer rows than leaves) gives the same bits.
                let mut alone = [0.0; 2];
                classifier.proba_batch(&data[i * 3..(i + 1) * 3], 3, &mut alone);
                assert_eq!(alone, one, "row {i} alone, {trees} trees");
            }
            let regressor = fit_ensemble(
                &x,
                TreeTarget::Values(&values),
                params(2),
                trees,
                trees > 1,
                3,
                &mut Progress::none(),
            )
            .unwrap();
            let mut batch = vec![0.0; n];
            regressor.values_batch(data, 3, &mut batch);
            for (i, value) in batch.iter().enumerate() {
                assert_eq!(*value, regressor.value_row(&data[i * 3..(i + 1) * 3], &mut bins), "row {i}");
            }
        }
    }
}
