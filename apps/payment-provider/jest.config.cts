module.exports = {
  displayName: 'payment-provider',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/payment-provider',
};
