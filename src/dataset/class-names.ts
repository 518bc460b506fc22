/** Class names of the datasets aesearch knows by name. */

/** Fashion-MNIST's ten classes, in label order (https://github.com/zalandoresearch/fashion-mnist). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** MNIST's digits 0-9. */
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
