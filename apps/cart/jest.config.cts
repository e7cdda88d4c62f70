module.exports = {
  displayName: 'cart',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/cart',
};
