import { maskSecrets, redactUrl } from './mask';

describe('maskSecrets', () => {
  it('masks a card number of 13 to 19 digits, plain or grouped, keeping the last four', () => {
    expect(maskSecrets('{"cardNumber":"4242424242424242"}')).toBe('{"cardNumber":"************4242"}');
    expect(maskSecrets('paid with 4242 4242 4242 4242.')).toBe('paid with ************4242.');
    expect(maskSecrets('4000-0000-0000-0002')).toBe('************0002');
    expect(maskSecrets('4111111111111')).toBe('*********1111'); // 13 digits
    expect(maskSecrets('4111111111111111111')).toBe('***************1111'); // 19
  });

  it('leaves shorter runs, longer runs and uuids alone', () => {
    const text = 'order 6f1c2a8e-3b4d-4c5e-8f90-123456789abc, 2500 cents, 12 items, id 123456789012, 12345678901234567890';
    expect(maskSecrets(text)).toBe(text);
  });

  it('masks the cvc value, quoted or not', () => {
    expect(maskSecrets('{"expMonth":12,"cvc":"123"}')).toBe('{"expMonth":12,"cvc":"***"}');
    expect(maskSecrets('{"cvc": 4567}')).toBe('{"cvc": ***}');
    expect(maskSecrets('cvc=999')).toBe('cvc=***');
  });
});

describe('redactUrl', () => {
  it('hides the password', () => {
    expect(redactUrl('amqp://guest:secret@127.0.0.1:5672/traceshop')).toBe('amqp://guest:***@127.0.0.1:5672/traceshop');
    expect(redactUrl('postgres://postgres@127.0.0.1:5432/traceshop')).toBe('postgres://postgres@127.0.0.1:5432/traceshop');
  });
});
