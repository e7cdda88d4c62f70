module.exports = {
  displayName: 'payment',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/apps/payment',
};
