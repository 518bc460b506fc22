/**
 * The unusual-query banner: over the results when the query's reconstruction error is above the
 * collection's threshold, i.e. the autoencoder has seen nothing like it and its neighbours may mean little.
 */
import { el } from './render.js';

/** Shows or hides the banner for a search response. */
export function renderUnusual(response) {
  const banner = document.querySelector('#unusual');
  const unusual = response.query.unusual;
  if (!unusual?.isUnusual) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  const error = response.query.reconstructionError;
  banner.replaceChildren(
    el('strong', {}, 'This image looks unlike the collection.'),
    ` The autoencoder reconstructs it worse than ${unusual.percentile.toFixed(1)}% of the collection's items ` +
      `(error ${error.toFixed(4)}, above ${unusual.threshold.toFixed(4)}, the ${unusual.thresholdPercentile}th percentile), ` +
      'so its nearest neighbours may not look alike.',
  );
  banner.hidden = false;
}
