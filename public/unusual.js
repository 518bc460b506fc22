/**
 * The unusual-query banner: over the results when the query's unusual-query score is above the
 * collection's threshold, i.e. the autoencoder rebuilds it worse than the collection's images for how
 * simple it is, or misses its edges, and its neighbours may mean little.
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
    ` It scores ${unusual.score.toFixed(2)}, more unusual than ${unusual.percentile.toFixed(1)}% of the collection's items ` +
      `(threshold ${unusual.threshold.toFixed(2)}, the ${unusual.thresholdPercentile}th percentile): the autoencoder ` +
      `rebuilds it badly for an image this simple, or misses its edges (reconstruction error ${error.toFixed(4)}), ` +
      'so its nearest neighbours may not look alike.',
  );
  banner.hidden = false;
}
